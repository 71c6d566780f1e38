// `koa2` is Koa 2 installed under an alias (devDependency `koa2: npm:koa@^2.16`), so that the
// same tests run on both majors. @types/koa describes both: the API the adapter uses is common.
declare module 'koa2' {
  import Koa from 'koa';
  export default Koa;
}
