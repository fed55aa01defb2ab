import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchema } from '../../src/scenario/json-schema.js';

const dir = new URL('../../../scenarios/', import.meta.url).pathname;
const shipped = [...readdirSync(dir).filter((f) => f.endsWith('.yaml')), ...['openwrt', 'soak'].flatMap((d) => readdirSync(join(dir, d)).map((f) => `${d}/${f}`))];
const validate = new Ajv2020({ strict: false }).compile(scenarioJsonSchema());

describe('scenario JSON Schema', () => {
  it('the committed scenarios/scenario.schema.json is what `hil schema` generates', () => {
    expect(JSON.parse(readFileSync(join(dir, 'scenario.schema.json'), 'utf8'))).toEqual(scenarioJsonSchema());
  });

  it.each(shipped)('%s validates and names the schema for editors', (f) => {
    const text = readFileSync(join(dir, f), 'utf8');
    expect(text.split('\n')[0]).toBe(`# yaml-language-server: $schema=${f.includes('/') ? '../' : './'}scenario.schema.json`);
    expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
  });

  it('rejects what the zod schema rejects: unknown keys, wrong enums, wrong types', () => {
    expect(validate({ offload: 'sw', traffic: [{ proto: 'tcp', colour: 'red' }], expect: { flows: { state: 'sw' } } })).toBe(false);
    expect(validate({ offload: 'turbo', traffic: [{}], expect: { flows: { state: 'sw' } } })).toBe(false);
    expect(validate({ offload: 'sw', traffic: 'iperf3', expect: { flows: { state: 'sw' } } })).toBe(false);
  });
});
