import { Layout } from './components/layout';
import { Loading } from './components/ui';
import { AppPage } from './pages/app';
import { AuditPage } from './pages/audit';
import { InspectorPage } from './pages/inspector';
import { KeysPage } from './pages/keys';
import { OrgPage } from './pages/org';
import { OrgsPage } from './pages/orgs';
import { PasskeysPage } from './pages/passkeys';
import { SignIn } from './pages/sign-in';
import { match, navigate, usePath } from './router';
import { useSession } from './session';

export function App() {
  const { state } = useSession();
  const path = usePath();
  if (state.status === 'starting') {
    return (
      <main id="main">
        <Loading what="Starting the console" />
      </main>
    );
  }
  if (state.status === 'signed-out') return <SignIn notice={state.notice} />;
  return <Signed path={path} />;
}

function Signed({ path }: { path: string }) {
  let m: Record<string, string> | null;
  if ((m = match('/orgs/:orgId/apps/:appId', path))) {
    return (
      <Layout path={path} title="Application">
        <AppPage orgId={m.orgId} appId={m.appId} />
      </Layout>
    );
  }
  if ((m = match('/orgs/:orgId', path))) {
    return (
      <Layout path={path} title="Organization">
        <OrgPage orgId={m.orgId} />
      </Layout>
    );
  }
  if (match('/keys', path))
    return (
      <Layout path={path} title="Signing keys">
        <KeysPage />
      </Layout>
    );
  if (match('/audit', path))
    return (
      <Layout path={path} title="Audit log">
        <AuditPage />
      </Layout>
    );
  if (match('/passkeys', path))
    return (
      <Layout path={path} title="My passkeys">
        <PasskeysPage />
      </Layout>
    );
  if (match('/inspector', path))
    return (
      <Layout path={path} title="Token inspector">
        <InspectorPage />
      </Layout>
    );
  if (path !== '/orgs') queueMicrotask(() => navigate('/orgs'));
  return (
    <Layout path="/orgs" title="Organizations">
      <OrgsPage />
    </Layout>
  );
}
