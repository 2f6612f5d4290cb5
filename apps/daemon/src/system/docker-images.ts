import type Docker from 'dockerode'

/** The `GET /api/system/docker/disk` body [pelican], in Pelican's field order. */
export interface DockerDiskUsage {
  readonly containers_size: number
  readonly images_total: number
  readonly images_active: number
  readonly images_size: number
  readonly build_cache_size: number
}

/** The `DELETE /api/system/docker/image/prune` body [pelican]: Docker's own prune report. */
export interface ImagePruneReport {
  readonly ImagesDeleted: { readonly Deleted?: string; readonly Untagged?: string }[] | null
  readonly SpaceReclaimed: number
}

interface DockerDf {
  readonly LayersSize?: number
  readonly Images?: readonly { readonly Containers?: number }[] | null
  readonly Containers?: readonly { readonly SizeRootFs?: number }[] | null
  readonly BuildCache?: readonly { readonly Shared?: boolean; readonly Size?: number }[] | null
}

/**
 * What Docker's images, containers and build cache take on the disk, as Pelican sums them:
 * images in use by a container count as active, shared build cache is left out. Without Docker
 * (the process environment) every figure is 0 (docs/compatibility.md).
 */
export async function dockerDiskUsage(docker: Docker | undefined): Promise<DockerDiskUsage> {
  const df: DockerDf = docker === undefined ? {} : ((await docker.df()) as DockerDf)
  const images = df.Images ?? []
  return {
    containers_size: (df.Containers ?? []).reduce((sum, c) => sum + (c.SizeRootFs ?? 0), 0),
    images_total: images.length,
    images_active: images.filter((i) => (i.Containers ?? 0) > 0).length,
    images_size: df.LayersSize ?? 0,
    build_cache_size: (df.BuildCache ?? [])
      .filter((b) => b.Shared !== true)
      .reduce((sum, b) => sum + (b.Size ?? 0), 0),
  }
}

/**
 * Removes the dangling images (Docker's prune without filters, as Pelican asks it) and answers
 * Docker's report in its own field names. Without Docker nothing is pruned.
 */
export async function pruneDanglingImages(docker: Docker | undefined): Promise<ImagePruneReport> {
  if (docker === undefined) return { ImagesDeleted: null, SpaceReclaimed: 0 }
  const report = (await docker.pruneImages()) as {
    ImagesDeleted?: { Deleted?: string; Untagged?: string }[] | null
    SpaceReclaimed?: number
  }
  return {
    // Go's field order: Deleted, then Untagged; empty ones are left out.
    ImagesDeleted:
      report.ImagesDeleted?.map((item) => ({
        ...(item.Deleted ? { Deleted: item.Deleted } : {}),
        ...(item.Untagged ? { Untagged: item.Untagged } : {}),
      })) ?? null,
    SpaceReclaimed: report.SpaceReclaimed ?? 0,
  }
}
