import { checkLogo, LOGO_MAX_BYTES } from './logo';

const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32)]);

describe('checkLogo', () => {
  it('accepts an image whose bytes match its declared type', () => {
    expect(checkLogo('image/png', png)).toEqual({ ok: true, type: 'image/png' });
    expect(checkLogo('Image/PNG; charset=binary', png)).toEqual({ ok: true, type: 'image/png' });
    expect(checkLogo('image/gif', Buffer.from('GIF89a......'))).toEqual({ ok: true, type: 'image/gif' });
  });

  it('refuses SVG, unknown types, mismatched bytes, empty and oversized bodies', () => {
    expect(checkLogo('image/svg+xml', Buffer.from('<svg/>'))).toEqual({ ok: false, reason: 'type' });
    expect(checkLogo(undefined, png)).toEqual({ ok: false, reason: 'type' });
    expect(checkLogo('image/jpeg', png)).toEqual({ ok: false, reason: 'content' });
    expect(checkLogo('image/png', Buffer.alloc(0))).toEqual({ ok: false, reason: 'size' });
    expect(checkLogo('image/png', Buffer.concat([png, Buffer.alloc(LOGO_MAX_BYTES)]))).toEqual({
      ok: false,
      reason: 'size',
    });
  });
});
