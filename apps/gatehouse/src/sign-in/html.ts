/**
 * HTML that is escaped by construction (docs/sign-in.md#pages): every value interpolated into
 * an `html` template is escaped unless it is itself `Html` built by `html`. There is no other
 * way to make `Html`, so a value from a request can never become markup.
 */
export class Html {
  #value: string;
  private constructor(value: string) {
    this.#value = value;
  }
  toString(): string {
    return this.#value;
  }
  /** Only for this module: wraps markup already built from escaped parts. */
  static trusted(value: string): Html {
    return new Html(value);
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

type Part = Html | string | number | null | undefined | false | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.toString();
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0];
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1];
  });
  return Html.trusted(out);
}
