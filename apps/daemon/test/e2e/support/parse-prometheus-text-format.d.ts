// The package ships no types: the shape of its output (prom2json's).
declare module 'parse-prometheus-text-format' {
  export interface Sample {
    readonly value?: string
    readonly labels?: Readonly<Record<string, string>>
  }
  export interface MetricFamily {
    readonly name: string
    readonly help: string
    readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED'
    readonly metrics: readonly Sample[]
  }
  /** Throws on a line the text format does not allow. */
  export default function parsePrometheusTextFormat(text: string): MetricFamily[]
}
