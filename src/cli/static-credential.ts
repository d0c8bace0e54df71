/** A fixed bearer token for the local ARM simulator, which accepts any token. Never used against Azure. */
import type { AccessToken, TokenCredential } from '@azure/core-auth';

export function simulatorCredential(): TokenCredential {
  return {
    async getToken(): Promise<AccessToken> {
      return { token: 'aks-fleet-scanner-simulator', expiresOnTimestamp: Date.now() + 3600_000 };
    },
  };
}
