/**
 * How many items of an ordered list fit a size budget. A card's size grows with the number of items
 * listed, so the largest count that fits is found by bisection in O(log n) builds of the card.
 */
export function largestFitting(max: number, fits: (n: number) => boolean): number {
  if (fits(max)) return max;
  let lo = 0;
  let hi = max;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
