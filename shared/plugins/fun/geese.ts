/** Geese for the goose plugin's `/honk`: original ASCII art. */
export const GEESE: readonly [string, ...string[]] = [
  String.raw`
    __
 __( o)>   HONK
 \ <_ )
  '---'`,
  String.raw`
      _
  ___(.)<  honk honk
  \___)
 ~~~~~~~~~`,
  String.raw`
         __
       >(o )___
        ( ._> /   HONK!
         '---'`,
  String.raw`
   (o>
 \\_//)   peace was never an option
  \_/_)
   _|_`,
];
