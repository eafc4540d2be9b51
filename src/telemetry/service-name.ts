/** `service.name` of every span, metric and log line this process emits. */
export const serviceName = 'mini-chat';
