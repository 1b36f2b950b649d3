/** Cats for the cat plugin's `/meow [category]` and `/meowvie [category]`: original ASCII art. */
export interface Cat {
  art: string;
  /** The categories a `/meow <category>` may ask for that this cat belongs to. */
  categories: readonly string[];
}

export const CATS: readonly [Cat, ...Cat[]] = [
  {
    categories: ['kittens'],
    art: String.raw`
  /\_/\
 ( o.o )
  > ^ <`,
  },
  {
    categories: ['hats'],
    art: String.raw`
    _[_]_
   /\_/\
  ( ^.^ )
  (")_(")`,
  },
  {
    categories: ['boxes'],
    art: String.raw`
   /\_/\
  ( -.- )
 +-------+
 |  box  |
 +-------+`,
  },
  {
    categories: ['sunglasses', 'caturday'],
    art: String.raw`
   /\_/\
  (=#-#=)  caturday!
   ) ^ (
  (_____)`,
  },
  {
    categories: ['space'],
    art: String.raw`
  *   .-"""-.   *
     / /\_/\ \
    | ( o.o ) |
     \ > ^ < /
  .   '-----'   .`,
  },
  {
    categories: ['ties', 'clothes'],
    art: String.raw`
   /\_/\
  ( o.o )
   \ V /
   |\Y/|
   (_|_)`,
  },
  {
    categories: ['sinks'],
    art: String.raw`
     /\_/\
  __( o.o )__
 |  > ^ <    |
  \_________/
      | |`,
  },
];

/** Prow's answer to `/meow no` and `/meow grumpy`. */
export const GRUMPY_CAT = String.raw`
   /\_/\
  ( >.< )  no.
   ) - (
  (_____)`;

/** Every category some cat belongs to, for the help and the answer to an unknown one. */
export const CAT_CATEGORIES: readonly string[] = [...new Set(CATS.flatMap((cat) => cat.categories))].sort();
