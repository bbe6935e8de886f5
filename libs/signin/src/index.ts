export * from './admin-auth.service';
export * from './user-auth.service';
export * from './login-throttle';
export * from './signin.module';
