export * from './counter-units';
export * from './budget-counters';
export * from './hold-horizon';
export * from './budget-admission';
