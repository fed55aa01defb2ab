/** One expectation checked: what was expected and what the DUT showed, passed or not. */
export interface Assertion {
  name: string;
  passed: boolean;
  expected: string;
  actual: string;
}
