/**
 * Client routes under /app/. Each screen is its own chunk, loaded when opened: the first load is the
 * shell plus the landing screen, and the process editor (CodeMirror) and the reports (charts) are
 * never loaded before they are needed.
 */
import { createBrowserRouter, RouterProvider } from 'react-router';
import { RouteFallback } from '@/components/route-fallback';
import { paths } from '@/config/paths';
import { HomeRoute } from './routes/app/home';
import { AppRoot } from './routes/app/root';
import { NotFoundRoute } from './routes/not-found';
import { SignInRoute } from './routes/sign-in';

const router = createBrowserRouter(
  [
    { path: paths.signIn, Component: SignInRoute },
    {
      path: '/',
      Component: AppRoot,
      HydrateFallback: RouteFallback,
      children: [
        { index: true, Component: HomeRoute },
        {
          path: paths.pipeline,
          lazy: () => import('./routes/app/pipeline').then((m) => ({ Component: m.PipelineRoute })),
        },
        {
          path: 'deals/:id',
          lazy: () => import('./routes/app/deal').then((m) => ({ Component: m.DealRoute })),
        },
        {
          path: paths.tasks,
          lazy: () => import('./routes/app/tasks').then((m) => ({ Component: m.TasksRoute })),
        },
        {
          path: paths.processes,
          lazy: () => import('./routes/app/processes').then((m) => ({ Component: m.ProcessesRoute })),
        },
        {
          path: paths.reports,
          lazy: () => import('./routes/app/reports').then((m) => ({ Component: m.ReportsRoute })),
        },
        { path: '*', Component: NotFoundRoute },
      ],
    },
  ],
  { basename: '/app' },
);

export function AppRouter() {
  return <RouterProvider router={router} />;
}
