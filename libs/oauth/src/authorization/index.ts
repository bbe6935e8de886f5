export * from './authorization-request';
export * from './authorization-checks';
