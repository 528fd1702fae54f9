import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeEntry } from '../src/entry/normalize.js';
import { toLogRecord } from '../src/record/mapping.js';
import { RecordBuilder } from '../src/record/builder.js';
import { resourceFromAttributes } from '@opentelemetry/resources';

/** Whatever Slack sends as an entry, mapping never throws and never drops or invents a field. */

const builder = new RecordBuilder(resourceFromAttributes({ 'service.name': 'p' }), { name: 'p', version: '0' });
const field = fc.constantFrom(
  'user_id',
  'user_name',
  'date',
  'change_type',
  'service_id',
  'service_type',
  'app_id',
  'app_type',
  'channel',
  'scope',
  'reason',
  'rss_feed',
  'rss_feed_title',
  'resolution',
  'x_unknown',
);
const entry = fc.oneof(
  fc.dictionary(field, fc.oneof(fc.jsonValue(), fc.string({ unit: 'binary' }), fc.integer(), fc.constant(null)), { maxKeys: 12 }),
  fc.jsonValue(),
);

describe('mapping (property-based)', () => {
  it('maps any entry without throwing; every non-empty field arrives under its name', () => {
    fc.assert(
      fc.property(entry, fc.nat(5), (raw, occurrence) => {
        const normalized = normalizeEntry(raw);
        const record = toLogRecord(normalized, { occurrence, observedAtMs: 1_700_000_000_000, timestampPolicy: 'entry' });
        const [sdk] = builder.build([record]);
        expect(sdk).toBeDefined();
        expect(typeof record.body).toBe('string');
        expect(String(record.body)).not.toMatch(/[\r\n]/);
        expect(record.attributes!['log.record.uid']).toMatch(/^[0-9a-f]{32}$/);
        if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
          for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
            if (k === 'date' || v === null || v === '' || (k === 'scope' && typeof v === 'string' && v.split(',').every((x) => !x.trim())))
              continue;
            const renamed: Record<string, string> = {
              user_id: 'user.id',
              user_name: 'user.name',
              channel: 'slack.integration.channel_id',
              scope: 'slack.integration.scopes',
            };
            const name = Object.hasOwn(renamed, k) ? renamed[k]! : `slack.integration.${k}`;
            expect(record.attributes, `${k} -> ${name}`).toHaveProperty([name]);
          }
        }
      }),
      { numRuns: 5000 },
    );
  });
});
