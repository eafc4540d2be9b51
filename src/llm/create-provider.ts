import { createEchoProvider } from './echo-provider.ts';
import { createOpenAIProvider } from './openai-provider.ts';
import type { ModelProvider } from './provider.ts';

/** The provider settings of operations.md; `Config['llm']` fits this type as it is. */
export type ProviderSettings = {
  provider: 'echo' | 'openai';
  openaiBaseUrl?: string | undefined;
  openaiApiKey?: string | undefined;
  providerIdleTimeoutMs: number;
  echoWordDelayMs: number;
};

/** The one provider the service talks to, chosen by `LLM_PROVIDER`. Makes no network call itself. */
export function createProvider(settings: ProviderSettings): ModelProvider {
  switch (settings.provider) {
    case 'echo':
      return createEchoProvider({ wordDelayMs: settings.echoWordDelayMs });
    case 'openai':
      return createOpenAIProvider({
        baseUrl: settings.openaiBaseUrl,
        apiKey: settings.openaiApiKey,
        idleTimeoutMs: settings.providerIdleTimeoutMs,
      });
  }
}
