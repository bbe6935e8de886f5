/**
 * The parameters of a form-encoded protocol request (RFC 6749 §3.2), every value kept in
 * the order sent, so that the endpoint — not the parser — decides which may repeat.
 */
export class FormParams {
  constructor(private readonly values: ReadonlyMap<string, readonly string[]>) {}

  static from(pairs: Iterable<[string, string]>): FormParams {
    const map = new Map<string, string[]>();
    for (const [k, v] of pairs) {
      const list = map.get(k);
      if (list) list.push(v);
      else map.set(k, [v]);
    }
    return new FormParams(map);
  }

  /** The value of a parameter sent at most once (the endpoint has refused repeats). */
  get(name: string): string | undefined {
    return this.values.get(name)?.[0];
  }

  /** Every value of a repeatable parameter (RFC 8693 §2.1 `resource`, `audience`). */
  all(name: string): readonly string[] {
    return this.values.get(name) ?? [];
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  names(): IterableIterator<string> {
    return this.values.keys();
  }

  /** The first parameter sent more than once whose name is not in `repeatable`. */
  firstRepeated(repeatable: ReadonlySet<string> = NONE): string | null {
    for (const [k, v] of this.values) if (v.length > 1 && !repeatable.has(k)) return k;
    return null;
  }

  /** Only the named parameters: what a grant declared is all it can read. */
  pick(names: ReadonlySet<string>): FormParams {
    return new FormParams(new Map([...this.values].filter(([k]) => names.has(k))));
  }
}

const NONE: ReadonlySet<string> = new Set();
