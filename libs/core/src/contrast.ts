/**
 * WCAG 2.2 contrast (docs/sign-in-experience.md#branding): an org's primary colour is the
 * background of the pages' primary button and white text sits on it, so a colour is
 * accepted only when white text on it reaches AA for normal text (4.5:1).
 */
export const WCAG_AA_NORMAL_TEXT = 4.5;
export const PRIMARY_COLOR_PATTERN = /^#[0-9a-fA-F]{6}$/;
/** The text colour of the primary button. */
export const BUTTON_TEXT = '#ffffff';

/** WCAG 2.2 relative luminance of a `#rrggbb` colour. */
export function relativeLuminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** Whether `color` is a `#rrggbb` colour that the button's white text reads on at WCAG AA. */
export function passesAA(color: string): boolean {
  return PRIMARY_COLOR_PATTERN.test(color) && contrastRatio(color, BUTTON_TEXT) >= WCAG_AA_NORMAL_TEXT;
}
