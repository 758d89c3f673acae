export function ReportsRoute() {
  return <div>reports</div>;
}
