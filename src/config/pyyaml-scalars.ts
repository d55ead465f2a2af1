// Plain scalars resolved as PyYAML's SafeLoader resolves them (what Ansible reads inventories and
// vars files with). The `yaml` package's YAML 1.1 schema differs: it reads y/n as booleans,
// `1e3` and `+.5` as floats and `08` as 8, where PyYAML keeps text.

const BOOL = 'tag:yaml.org,2002:bool';
const INT = 'tag:yaml.org,2002:int';
const FLOAT = 'tag:yaml.org,2002:float';
const TIMESTAMP = 'tag:yaml.org,2002:timestamp';

const TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const INT_RE =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT_RE =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const TIMESTAMP_RE =
  /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/;

function sexagesimal(text: string): number {
  return text.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
}

/** PyYAML's construct_yaml_int. */
function pyInt(source: string): number {
  let v = source.replace(/_/g, '');
  let sign = 1;
  if (v[0] === '-' || v[0] === '+') {
    if (v[0] === '-') sign = -1;
    v = v.slice(1);
  }
  if (v === '0') return 0;
  if (v.startsWith('0b')) return sign * Number.parseInt(v.slice(2), 2);
  if (v.startsWith('0x')) return sign * Number.parseInt(v.slice(2), 16);
  if (v[0] === '0') return sign * Number.parseInt(v, 8);
  if (v.includes(':')) return sign * sexagesimal(v);
  return sign * Number.parseInt(v, 10);
}

/** PyYAML's construct_yaml_float. */
function pyFloat(source: string): number {
  let v = source.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (v[0] === '-' || v[0] === '+') {
    if (v[0] === '-') sign = -1;
    v = v.slice(1);
  }
  if (v === '.inf') return sign * Number.POSITIVE_INFINITY;
  if (v === '.nan') return Number.NaN;
  if (v.includes(':')) return sign * sexagesimal(v);
  return sign * Number.parseFloat(v);
}

/**
 * A timestamp as Ansible prints it: PyYAML builds a date/datetime and Ansible's JSON encoder writes
 * its isoformat() (`2001-12-14`, `2001-12-14T21:59:43.100000-05:00`).
 */
function pyTimestamp(source: string): string {
  const m =
    /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?$/.exec(
      source,
    )!;
  const two = (s: string | undefined) => (s ?? '0').padStart(2, '0');
  const date = `${m[1]}-${two(m[2])}-${two(m[3])}`;
  if (m[4] === undefined) return date;
  const micro = Number((m[7] ?? '').slice(0, 6).padEnd(6, '0'));
  let out = `${date}T${two(m[4])}:${m[5]}:${m[6]}${micro ? `.${String(micro).padStart(6, '0')}` : ''}`;
  if (m[8] === 'Z') out += '+00:00';
  else if (m[8] !== undefined) out += `${m[9]}${two(m[10])}:${two(m[11])}`;
  return out;
}

function scalarTag(
  tag: string,
  test: RegExp,
  resolve: (s: string) => unknown,
  identify: (v: unknown) => boolean,
) {
  return { tag, test, resolve, identify, default: true };
}

/** `customTags` for the `yaml` package: its YAML 1.1 tags with bool/int/float/timestamp replaced by PyYAML's. */
export function pyyamlTags(tags: unknown[]): unknown[] {
  const replaced = new Set([BOOL, INT, FLOAT, TIMESTAMP]);
  const rest = tags.filter((t) => !replaced.has((t as { tag?: string }).tag ?? ''));
  return [
    scalarTag(
      BOOL,
      TRUE,
      () => true,
      (v) => v === true,
    ),
    scalarTag(
      BOOL,
      FALSE,
      () => false,
      (v) => v === false,
    ),
    scalarTag(INT, INT_RE, pyInt, (v) => Number.isInteger(v)),
    scalarTag(FLOAT, FLOAT_RE, pyFloat, (v) => typeof v === 'number'),
    scalarTag(TIMESTAMP, TIMESTAMP_RE, pyTimestamp, () => false),
    ...rest,
  ];
}
