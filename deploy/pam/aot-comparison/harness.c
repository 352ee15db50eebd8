#include <dlfcn.h>
#include <stdio.h>
#include <time.h>
static long long us(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1000000LL+t.tv_nsec/1000;}
int main(int argc,char**argv){long long a=us();void*h=dlopen(argv[1],RTLD_NOW);if(!h){fprintf(stderr,"%s\n",dlerror());return 1;}
int(*f)(void*,int,int,void*)=(int(*)(void*,int,int,void*))dlsym(h,"pam_sm_authenticate");long long b=us();
int r=argc>2?0:f(0,0,0,0);long long c=us();printf("%lld %lld %d\n",b-a,c-b,r);return 0;}
