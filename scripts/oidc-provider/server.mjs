// A local OpenID provider for the tests of the login with a digital identity: panva's
// oidc-provider (npm), with its development login form (any login name, any password: the
// login name picks the account). Configured by the environment:
//   OIDC_PORT            port on 127.0.0.1 (0 or unset: a free one)
//   OIDC_CLIENT_ID       the client registered for Sportello
//   OIDC_CLIENT_SECRET   its secret
//   OIDC_REDIRECT_URIS   its redirect URLs, comma-separated
//   OIDC_ACCOUNTS        JSON: login name -> claims (name, given_name, family_name, email,
//                        email_verified, fiscal_number "TINIT-…")
//   OIDC_ID_TOKEN_TTL    lifetime of an ID token in seconds (default 3600)
// Prints "listening <issuer>" once it answers. Test use only: the signing keys are the
// package's development keys and the cookie key is fixed.
import http from 'node:http';
import Provider from 'oidc-provider';

const env = process.env;
const accounts = JSON.parse(env.OIDC_ACCOUNTS || '{}');
const idTokenTtl = Number(env.OIDC_ID_TOKEN_TTL || 3600);
const scopes = 'openid email profile';
const claims = {
  openid: ['sub'],
  email: ['email', 'email_verified'],
  profile: ['name', 'given_name', 'family_name', 'fiscal_number'],
};

const server = http.createServer();
server.listen(Number(env.OIDC_PORT || 0), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: env.OIDC_CLIENT_ID || 'sportello',
        client_secret: env.OIDC_CLIENT_SECRET || 'sportello-test-secret',
        redirect_uris: (env.OIDC_REDIRECT_URIS || '').split(',').filter(Boolean),
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    claims,
    // The claims in the ID token itself, as SPID/CIE brokers send them.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    ttl: { IdToken: idTokenTtl },
    cookies: { keys: ['sportello-test-only'] },
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() {
          return { sub: id, ...(accounts[id] || {}) };
        },
      };
    },
    // No consent screen: the client is the chamber's own service.
    async loadExistingGrant(ctx) {
      const grantId =
        ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        return ctx.oidc.provider.Grant.find(grantId);
      }
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope(scopes);
      grant.addOIDCClaims(Object.values(claims).flat());
      await grant.save();
      return grant;
    },
  });
  server.on('request', provider.callback());
  console.log(`listening ${issuer}`);
});
