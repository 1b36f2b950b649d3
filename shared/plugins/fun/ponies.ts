/** Ponies for the pony plugin's `/pony [name]`: original ASCII art, each with a name to ask for. */
export interface Pony {
  name: string;
  art: string;
}

export const PONIES: readonly [Pony, ...Pony[]] = [
  {
    name: 'Clover',
    art: String.raw`
    ,~~.
   (  o \__
    \    __)
    /   (
 __/  |  \
(____/\___)`,
  },
  {
    name: 'Pebble',
    art: String.raw`
      _/|
     / o \__
    (     __>
     )   (
    /|  |\\
   (_|  |_)`,
  },
  {
    name: 'Marigold',
    art: String.raw`
   *  ,/)
     (o  \_
 *    \  __>  *
      |  |
     /    \ ~~
    (_/ \_)`,
  },
  {
    name: 'Biscuit',
    art: String.raw`
    __/)
   / o  \___
  (__,       )~
     |  ||  |
     |__||__|`,
  },
  {
    name: 'Juniper',
    art: String.raw`
     ,/|  ~
    / o \/~
   (_    )
     |  |____
     \  ____ )~
     /_/  \_)`,
  },
];
