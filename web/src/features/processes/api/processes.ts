/** Process definitions: validate (dry run) and apply YAML as it is written, read versions. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/lib/api/client';
import { queryKeys } from '@/lib/api/query-keys';

/** The definition is sent as the YAML the user wrote; the API parses and checks it. */
const asYaml = (text: string) => ({
  body: text as never,
  bodySerializer: (b: unknown) => b as string,
  headers: { 'Content-Type': 'application/yaml' },
});

export function useValidateDefinition() {
  return useMutation({
    mutationFn: (text: string) => unwrap(api.POST('/process-definitions/validate', asYaml(text))),
  });
}

export function useApplyDefinition() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (text: string) => {
      const { data, error, response } = await api.POST('/process-definitions', asYaml(text));
      if (!data) return unwrap(Promise.resolve({ data, error, response }));
      return { ...data, created: response.status === 201 };
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: queryKeys.processes }),
  });
}
