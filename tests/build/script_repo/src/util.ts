export function clean(x: number): number {
  return Math.abs(x);
}
