// roster: login of a user with a large roster while many of its contacts are online. Needs a roster module; on a
// server without one the scenario is skipped with a note.
import { metric, type Metric, type Scenario, type ScenarioContext } from './types.js';

export const roster: Scenario = {
  name: 'roster',
  description: 'login with a 1000-item roster and presence from online contacts',
  users: () => 0,
  skip: (ctx: ScenarioContext) => (ctx.server.hasRoster ? 'not implemented yet' : 'no roster module in this build'),
  async run(): Promise<Metric[]> {
    return [metric('roster.login', 'roster login', NaN, 'ms', 'lower')];
  },
};
