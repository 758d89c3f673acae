export function ProcessesRoute() {
  return <div>processes</div>;
}
