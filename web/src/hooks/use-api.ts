import { createContext, useContext } from 'react';
import type { ApiClient } from '../api-client';

/** The API client reaches components through context, so component tests can pass a fake. */
export const ApiContext = createContext<ApiClient | null>(null);

export function useApi(): ApiClient {
  const client = useContext(ApiContext);
  if (!client) throw new Error('useApi needs an <ApiContext.Provider>');
  return client;
}
