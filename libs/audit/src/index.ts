export * from './audit-actions';
export * from './audit-log';
export * from './audit.service';
export * from './audit.module';
export * from './refusal-audit';
export * from './redact';
