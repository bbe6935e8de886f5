/**
 * What a branding logo may be (docs/sign-in-experience.md#branding): a raster image of one
 * of these types, whose first bytes agree with the declared `Content-Type`, at most
 * LOGO_MAX_BYTES. SVG is refused: it can carry script, and the pages serve the logo from
 * Gatehouse's own origin under `img-src 'self'`.
 */
export const LOGO_MAX_BYTES = 256 * 1024;

const SIGNATURES: Record<string, (b: Buffer) => boolean> = {
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/gif': (b) => /^GIF8[79]a$/.test(b.subarray(0, 6).toString('latin1')),
  'image/webp': (b) =>
    b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
};

export const LOGO_TYPES = Object.keys(SIGNATURES);

export type LogoCheck = { ok: true; type: string } | { ok: false; reason: 'type' | 'size' | 'content' };

/** `contentType` as sent (parameters dropped, case ignored) against the bytes. */
export function checkLogo(contentType: string | undefined, bytes: Buffer): LogoCheck {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const signature = SIGNATURES[type];
  if (!signature) return { ok: false, reason: 'type' };
  if (bytes.length === 0 || bytes.length > LOGO_MAX_BYTES) return { ok: false, reason: 'size' };
  if (!signature(bytes)) return { ok: false, reason: 'content' };
  return { ok: true, type };
}
