import type { InFlightGauge } from '../ports/in-flight-gauge.js'

/** An InFlightGauge that keeps its count for assertions (`current`, `peak`). */
export class CountingInFlightGauge implements InFlightGauge {
  current = 0
  peak = 0

  begin(): () => void {
    this.current++
    this.peak = Math.max(this.peak, this.current)
    let ended = false
    return () => {
      if (ended) return
      ended = true
      this.current--
    }
  }
}
