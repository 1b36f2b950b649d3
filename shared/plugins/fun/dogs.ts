/** Dogs for the dog plugin's `/woof` and `/bark`, and the three famous ones: original ASCII art. */
export const DOGS: readonly [string, ...string[]] = [
  String.raw`
  / \__
 (    @\___
 /         O
/   (_____/
/_____/   U`,
  String.raw`
   __      _
 o'')}____//
  '_/      )
  (_(_/-(_/`,
  String.raw`
    ___
 __/_  '.  .-"""-.
 \_,' | \-'  /   )'-')
  "") '"    \  ((''"
 ___Y  ,    .'7 /|
(_,___/...-' (_/_/`,
  String.raw`
  |\_/|
  | @ @   Woof!
  |   <>              _
  |  _/\------____ ((| |))
  |               '--' |
  \_____\_______/\_____/`,
];

/** `/this-is-fine`. */
export const FINE_DOG = String.raw`
   )  (   )  (    )
  (   ) (    ) ( (
   |\_/|   ___
   (o.o)  |cup|   "This is fine."
  __|_|___|___|__
 |_______________|`;

/** `/this-is-not-fine`. */
export const NOT_FINE_DOG = String.raw`
  )))  (((  )))  (((
 ((( ) ))) ((( ) )))
   |\_/|
   (O_O)   "This is NOT fine."
  __|_|__________
 |_______________|`;

/** `/this-is-unbearable`. */
export const UNBEARABLE_DOG = String.raw`
 )))))(((((((()))))))((
 ((((((  )))))  ((((((()
   |\_/|   /\
   (x_x)  /!!\  "This is unbearable."
  __|_|__/____\__
 |_______________|`;
