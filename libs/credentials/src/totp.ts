import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';

/**
 * TOTP per RFC 6238: SHA-1, 6 digits, 30 s steps, one step of drift either way.
 * Replay protection is ours: the caller stores the accepted time step and passes it back,
 * and a code whose step is not later than it is refused (logto's lastUsedTimeStep).
 */
export const TOTP_PERIOD_S = 30;

export interface TotpCheck {
  valid: boolean;
  timeStep?: number;
}

export class Totp {
  constructor(private readonly issuer: string) {}

  newSecret(): string {
    return generateSecret({ length: 20 });
  }

  uri(secret: string, account: string): string {
    return generateURI({
      issuer: this.issuer,
      label: account,
      secret,
      period: TOTP_PERIOD_S,
      digits: 6,
      algorithm: 'sha1',
    });
  }

  qrSvg(uri: string): Promise<string> {
    return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  }

  async check(secret: string, code: string, lastStep: number | null, nowMs = Date.now()): Promise<TotpCheck> {
    if (!/^\d{6}$/.test(code)) return { valid: false };
    const epoch = Math.floor(nowMs / 1000);
    const result = await verify({
      secret,
      token: code,
      epoch,
      period: TOTP_PERIOD_S,
      epochTolerance: TOTP_PERIOD_S,
    });
    if (!result.valid) return { valid: false };
    const timeStep = Math.floor(epoch / TOTP_PERIOD_S) + result.delta;
    if (lastStep !== null && timeStep <= lastStep) return { valid: false };
    return { valid: true, timeStep };
  }
}
