export * from './announcements.table';
export * from './announcements.projection';
export * from './announcement-read.repository';
export * from './platform-admin.directory';
