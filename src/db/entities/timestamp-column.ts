import { p } from '@mikro-orm/postgresql';

/**
 * A `timestamptz(3)` column. Millisecond precision is what a JavaScript `Date` holds, so a time
 * read back from the database equals the one written, also when SQL wrote it with `now()`: keyset
 * cursors built from `(time, id)` then compare exactly and never skip or repeat a row.
 */
export function timestampColumn() {
  return p.datetime(3);
}
