import { MemoryGcra } from '@gatehouse/verifier';

/**
 * GCRA in process memory: embedded mode, and the stricter fallback while Redis is
 * unreachable. The verifier's implementation, so results match the Lua script.
 */
export class MemoryRateLimitStore extends MemoryGcra {}
