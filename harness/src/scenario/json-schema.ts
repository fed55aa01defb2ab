import { z } from 'zod';
import { scenarioSchema } from './schema.js';

/**
 * JSON Schema of what users write (zod's input side: defaults make keys optional) for
 * editors through yaml-language-server. Cross-field rules and rate transforms stay in zod:
 * `hil validate` is the full check.
 */
export function scenarioJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://offload-hil.invalid/scenario.schema.json',
    title: 'offload-hil scenario',
  };
}
