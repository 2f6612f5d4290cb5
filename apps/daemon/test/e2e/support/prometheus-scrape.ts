import { Readable } from 'node:stream'

import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format'
import { getMetricsFromStream, type PromHistogramData } from 'prom2javascript'

/** One scrape of a `/metrics` endpoint, parsed. */
export interface Scrape {
  /** The family `name`; throws when the scrape has none. */
  family(name: string): { readonly type: string; readonly samples: readonly LabeledValue[] }
  /** The value (a histogram's count) of the first sample of `name` whose labels include `labels`. */
  value(name: string, labels?: Readonly<Record<string, string>>): number
}

interface LabeledValue {
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

/**
 * Parses the text format with parse-prometheus-text-format (a port of the reference Python
 * client's parser: it rejects any line the format does not allow, NaN and escapes included),
 * and each histogram family again with prom2javascript, which keeps a labelled histogram's series
 * apart (the first merges them) and rejects one whose buckets and count disagree.
 */
export async function parseScrape(text: string): Promise<Scrape> {
  const families = new Map<string, { type: string; samples: LabeledValue[] }>()
  for (const family of parsePrometheusTextFormat(text)) {
    families.set(family.name, {
      type: family.type.toLowerCase(),
      samples: family.type === 'HISTOGRAM' ? await histogram(text, family) : plain(family),
    })
  }
  const family = (name: string) => {
    const found = families.get(name)
    if (found === undefined) throw new Error(`no metric ${name}`)
    return found
  }
  return {
    family,
    value(name, labels = {}) {
      const sample = family(name).samples.find((s) =>
        Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      )
      if (sample === undefined) throw new Error(`no sample of ${name} ${JSON.stringify(labels)}`)
      return sample.value
    },
  }
}

function plain(family: MetricFamily): LabeledValue[] {
  return family.metrics.map((m) => ({ labels: m.labels ?? {}, value: Number(m.value) }))
}

async function histogram(text: string, family: MetricFamily): Promise<LabeledValue[]> {
  const own = new RegExp(`^(# (HELP|TYPE) ${family.name} |${family.name}_(bucket|sum|count)[{ ])`)
  const lines = text.split('\n').filter((line) => own.test(line))
  const parsed = await getMetricsFromStream(Readable.from([lines.join('\n') + '\n']))
  const data = (parsed[family.name]?.data ?? []) as PromHistogramData[]
  return data.map((h) => ({ labels: h.labels, value: h.count }))
}
