import type { ServerEvent } from '@node/server-state'

import { toGoJson } from '../http/go-json.js'
import { utilizationWireSorted } from '../wire/utilization-wire.js'

/**
 * One outbound frame as the reference's JSON encoder writes it: `{"event","args"}` (args omitted
 * when empty), `<>&` escaped, a trailing newline (websocket.md §2). Encoded once, sent as text to
 * every socket.
 */
export function encodeFrame(event: string, args: readonly string[] = []): Buffer {
  const frame = args.length === 0 ? { event } : { event, args }
  return Buffer.from(`${toGoJson(frame)}\n`)
}

/** The wire arguments of a server event (websocket.md §6). */
export function eventArgs(event: ServerEvent): string[] {
  switch (event.name) {
    case 'stats':
      return [toGoJson(utilizationWireSorted(event.payload))]
    case 'backup completed': {
      const b = event.payload
      return [
        toGoJson({
          checksum: b.checksum,
          checksum_type: b.checksumType,
          file_size: b.fileSize,
          is_successful: b.isSuccessful,
          uuid: b.uuid,
        }),
      ]
    }
    case 'deleted':
      return ['null']
    case 'install started':
    case 'install completed':
    case 'backup restore completed':
      return ['']
    default:
      return [event.payload]
  }
}

/** The permission a token needs to receive an event, when it needs one (websocket.md §6). */
export const EVENT_PERMISSIONS: Readonly<Partial<Record<ServerEvent['name'], string>>> = {
  'install output': 'admin.websocket.install',
  'backup completed': 'backup.read',
  'transfer logs': 'admin.websocket.transfer',
}
