import { TasksTable } from '@/features/signoffs/components/tasks-table';

export function TasksRoute() {
  return <TasksTable />;
}
