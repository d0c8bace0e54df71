/**
 * Who changed a waiver. With App Service Authentication (Easy Auth) on, the platform puts the
 * caller's identity in X-MS-CLIENT-PRINCIPAL-NAME and X-MS-CLIENT-PRINCIPAL (base64 JSON of its
 * claims) and does not let external requests set these headers
 * (https://learn.microsoft.com/azure/app-service/configure-authentication-user-identities).
 * Without it, only the function key says who may call, so the change is by "admin key".
 */
import { z } from 'zod';

export const ADMIN_KEY_PRINCIPAL = 'admin key';

const MAX_PRINCIPAL_CHARS = 256;

const ClientPrincipalSchema = z.object({
  name_typ: z.string().optional(),
  claims: z.array(z.object({ typ: z.string(), val: z.string() })).default([]),
});

/** Claim types that name a caller, best first (Entra ID user, then application). */
const NAME_CLAIMS = ['preferred_username', 'name', 'upn', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', 'appid', 'azp', 'oid'];

function header(headers: Record<string, string>, name: string): string | undefined {
  return Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
}

/** Printable and bounded: it is stored and shown. */
function clean(s: string): string | null {
  const t = s.replace(/[\p{C}]/gu, '').trim();
  return t ? t.slice(0, MAX_PRINCIPAL_CHARS) : null;
}

function fromClientPrincipal(value: string): string | null {
  try {
    const p = ClientPrincipalSchema.safeParse(JSON.parse(Buffer.from(value, 'base64').toString('utf8')));
    if (!p.success) return null;
    const claim = (typ: string | undefined): string | undefined => (typ ? p.data.claims.find((c) => c.typ === typ)?.val : undefined);
    for (const typ of [p.data.name_typ, ...NAME_CLAIMS]) {
      const v = claim(typ);
      if (v && clean(v)) return clean(v);
    }
    return null;
  } catch {
    return null;
  }
}

export function principalOf(headers: Record<string, string>): string {
  const name = header(headers, 'x-ms-client-principal-name');
  if (name && clean(name)) return clean(name) as string;
  const principal = header(headers, 'x-ms-client-principal');
  return (principal && fromClientPrincipal(principal)) ?? ADMIN_KEY_PRINCIPAL;
}
