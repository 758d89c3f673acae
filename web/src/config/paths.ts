/** Client routes (under the /app/ base). */
export const paths = {
  signIn: '/signin',
  home: '/',
  pipeline: '/pipeline',
  deal: (id: string) => `/deals/${encodeURIComponent(id)}`,
  tasks: '/me/tasks',
  processes: '/processes',
  reports: '/reports',
};
