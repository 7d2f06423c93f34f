/**
 * Where a report goes: the env key `skein.reports` names the sink, read by whoever reports (a
 * process from its environment, a thread from the node's). One routing rule for every report:
 *
 *   sink           effect
 *   false          nothing
 *   'name'         sent to that registered process; a report that cannot travel goes as text
 *   (unset)        printed on stderr, unless SKEIN_REPORTS=off (or `print` has nothing to say)
 */

/** The env key that says where reports go. */
export const REPORTS_ENV = 'skein.reports'

/** How a reporter sends, turns a report into text that can travel, and prints it. */
export interface ReportRoute<R> {
  /** Send to the named process; may throw for a report that cannot travel. */
  send(name: string, report: object): void
  /** The report with the fields that may not travel as text. */
  asText(report: R): object
  /** The stderr line(s), or undefined for a report that stderr never shows. */
  print(report: R): string | undefined
}

/** Deliver `report` to `sink` (the value of REPORTS_ENV) by `route`; never throws for the report's content. */
export function deliverReport<R extends object>(sink: unknown, report: R, route: ReportRoute<R>): void {
  if (sink === false) return
  if (typeof sink === 'string') {
    try {
      route.send(sink, report)
    } catch {
      // A reason or message that cannot travel to the logger's thread goes as text.
      route.send(sink, route.asText(report))
    }
    return
  }
  if (globalThis.process?.env.SKEIN_REPORTS === 'off') return
  const text = route.print(report)
  if (text !== undefined) console.error(text)
}
