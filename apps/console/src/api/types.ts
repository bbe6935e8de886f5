/**
 * Response shapes of the management API, generated from the server's OpenAPI document
 * (`openapi.gen.ts`, `npm run api:types`; docs/console.md#api-types). Never written by hand here.
 */
import type { components } from './openapi.gen';

type Schemas = components['schemas'];

/** A page of a cursor-paginated list (every list endpoint answers this shape). */
export type Page<T> = Omit<Schemas['OrgPage'], 'data'> & { data: T[] };

export type Me = Schemas['Me'];
export type Org = Schemas['Org'];
export type RateLimit = Schemas['App']['rate_limit'];
export type App = Schemas['App'];
export type TokenEndpointAuthMethod = Schemas['TokenEndpointAuthMethod'];
export type Resource = Schemas['Resource'];
export type Secret = Schemas['Secret'];
export type User = Schemas['User'];
export type SigningKey = Schemas['SigningKey'];
export type KeyList = Schemas['KeyList'];
export type AuditEvent = Schemas['AuditEvent'];
export type ChainReport = Schemas['ChainReport'];
export type Decision = Schemas['InspectionDecision'];
export type Inspection = Schemas['Inspection'];
export type TrustedIssuer = Schemas['TrustedIssuer'];
export type IdJagAudience = Schemas['IdJagAudience'];
export type ExternalClient = Schemas['ExternalClientList']['items'][number];
