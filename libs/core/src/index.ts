export * from './ids';
export * from './clock';
export * from './errors';
export * from './config';
export * from './principal';
export * from './grant-types';
export * from './failure-log';
export * from './client-auth';
