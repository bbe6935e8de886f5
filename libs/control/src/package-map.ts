/**
 * Scopes and routes that need a package (docs/control.md#package-map). An org's apps
 * already name the packages they need; the map adds the finer grain: a token that carries a
 * mapped scope, and a request to a mapped route, need that package's entitlement too.
 *
 * A route is `METHOD /path` or `/path` (every method); a path ending in `*` matches every
 * path that starts with what precedes it. Bearer requests are matched on their path and on
 * their route template (`/v1/orgs/:orgId/…`); AuthZEN decisions whose resource is of type
 * `route` on `resource.id`, with the action's name as the method.
 */
export interface RoutePackage {
  /** As written: `GET /reports*`. */
  route: string;
  method: string | null;
  path: string;
  prefix: boolean;
  package: string;
}

export interface PackageMap {
  scopes: ReadonlyMap<string, string>;
  routes: readonly RoutePackage[];
}

export const EMPTY_PACKAGE_MAP: PackageMap = { scopes: new Map(), routes: [] };

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const ROUTE = new RegExp(`^(?:(${HTTP_METHODS.join('|')}) )?(/[^\\s*?#]*)(\\*)?$`);

/** The parsed route, or null when `route` is not one (the API refuses it with 400). */
export function parseRoute(route: string, pkg: string): RoutePackage | null {
  const m = ROUTE.exec(route);
  if (!m) return null;
  return { route, method: m[1] ?? null, path: m[2], prefix: m[3] === '*', package: pkg };
}

/** The map as stored (org_controls.package_map) and as the API shows it. */
export interface PackageMapDoc {
  scopes?: Record<string, string>;
  routes?: { route: string; package: string }[];
}

export function fromDoc(doc: unknown): PackageMap {
  const d = (doc ?? {}) as PackageMapDoc;
  const routes = (d.routes ?? [])
    .map((r) => parseRoute(r.route, r.package))
    .filter((r): r is RoutePackage => r !== null);
  return { scopes: new Map(Object.entries(d.scopes ?? {})), routes };
}

export function toDoc(map: PackageMap): Required<PackageMapDoc> {
  return {
    scopes: Object.fromEntries(map.scopes),
    routes: map.routes.map((r) => ({ route: r.route, package: r.package })),
  };
}

/** A request seen as a route: its method and the paths it may be known by. */
export interface RouteRequest {
  method: string | null;
  paths: readonly string[];
}

/**
 * The route of a decision input: bearer requests name their action `METHOD /template` and
 * their resource `{ type: 'route', id: path }`; an AuthZEN PEP names a route resource and an
 * action whose name is the method.
 */
export function routeOf(
  action: { name: string } | undefined,
  resource: { type: string; id?: string } | undefined,
): RouteRequest | null {
  if (resource?.type !== 'route' || !resource.id) return null;
  const name = action?.name ?? '';
  const space = name.indexOf(' ');
  const head = (space < 0 ? name : name.slice(0, space)).toUpperCase();
  const method = (HTTP_METHODS as readonly string[]).includes(head) ? head : null;
  const template = space < 0 ? null : name.slice(space + 1);
  return { method, paths: template && template !== resource.id ? [resource.id, template] : [resource.id] };
}

/** Which packages a request's scopes and route need, each with what required it. */
export function mappedPackages(
  map: PackageMap,
  scopes: readonly string[] | undefined,
  route: RouteRequest | null,
): { package: string; required_by: { scope: string } | { route: string } }[] {
  const out: { package: string; required_by: { scope: string } | { route: string } }[] = [];
  for (const scope of scopes ?? []) {
    const pkg = map.scopes.get(scope);
    if (pkg) out.push({ package: pkg, required_by: { scope } });
  }
  if (route) {
    for (const r of map.routes) {
      if (r.method && r.method !== route.method) continue;
      if (route.paths.some((p) => (r.prefix ? p.startsWith(r.path) : p === r.path))) {
        out.push({ package: r.package, required_by: { route: r.route } });
      }
    }
  }
  return out;
}
