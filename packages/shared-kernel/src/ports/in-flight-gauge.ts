/**
 * How many operations of one kind are under way on this node right now (backups, restores,
 * transfers). The use case that runs them reports here; the daemon exports the figure as a
 * metric (`wings_<kind>_in_flight`).
 */
export interface InFlightGauge {
  /**
   * One more operation is under way. Call the returned function once it has ended, whichever
   * way (a `finally`); calling it again does nothing.
   */
  begin(): () => void
}
