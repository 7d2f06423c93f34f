%% skein_bench: the Erlang/OTP side of the OTP-shaped rows in `npm run bench`.
%%
%% The idea: run the same five shapes as bench/otp-actors.ts, with the same sizes, on the
%% stock runtime, and print one line per shape that bench/baselines/erlang.ts parses:
%%
%%   RESULT <shape> <value>      shape: call | cast | spawn | idle_bytes | restart
%%
%%   shape        what one unit is                                     value
%%   call         gen_server:call(S, ping) from one process, in a loop   calls/s
%%   cast         N gen_server:cast, then a call that answers after all   casts/s
%%   spawn        spawn_monitor of a process that exits, until its DOWN   per second
%%   idle_bytes   erlang:memory(processes) growth per idle gen_server     bytes
%%   restart      kill the child of a one_for_one supervisor (intensity   restarts/s
%%                100, period 1), until the new child says it is up
%%
%% Throughput values are the median of `Iterations` timed runs after two warm-up runs.
%% This one module is the gen_server, the supervisor callback and the driver, so the bench
%% compiles a single file. Run alone, from the repository root, at the sizes of BENCH_SCALE=1:
%%   mkdir -p /tmp/skein-erl && erlc -o /tmp/skein-erl bench/erlang/skein_bench.erl &&
%%   erl -noshell -pa /tmp/skein-erl -eval 'skein_bench:main([{call,200000},{cast,1000000},
%%     {spawn,100000},{idle,100000},{restart_rounds,200},{iterations,5}]), halt().'
-module(skein_bench).
-export([main/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(RESTARTS_PER_ROUND, 100).

%% Options (a proplist; missing shapes are skipped): {call, N}, {cast, N}, {spawn, N},
%% {idle, N}, {restart_rounds, Rounds}, {iterations, K}.
main(Opts) ->
    %% A supervisor logs a report for every child exit; silence it, as a loaded system
    %% would filter it, so the restart shape times restarts rather than console output.
    logger:set_primary_config(level, none),
    K = proplists:get_value(iterations, Opts, 5),
    Shapes = [{call, fun call/1}, {cast, fun cast/1}, {spawn, fun spawn_exit/1},
              {restart_rounds, fun restart/1}],
    [report(Name, Fun, proplists:get_value(Name, Opts), K) || {Name, Fun} <- Shapes],
    case proplists:get_value(idle, Opts) of
        undefined -> ok;
        N -> print(idle_bytes, median([idle_bytes(N) || _ <- lists:seq(1, min(K, 3))]))
    end,
    ok.

report(_Name, _Fun, undefined, _K) -> ok;
report(Name, Fun, N, K) ->
    Label = case Name of restart_rounds -> restart; _ -> Name end,
    [Fun(N) || _ <- [warmup, warmup]],
    print(Label, median([Fun(N) || _ <- lists:seq(1, K)])).

print(Label, Value) ->
    io:format("RESULT ~s ~.3f~n", [Label, float(Value)]).

median(Xs) ->
    lists:nth((length(Xs) + 1) div 2, lists:sort(Xs)).

per_second(Count, Nanos) -> Count / (Nanos / 1.0e9).

now_ns() -> erlang:monotonic_time(nanosecond).

%% ── the gen_server: an echo/counter server, and the supervised child ───────────────────

init(counter) -> {ok, 0};
init(idle) -> {ok, idle};
init({child, Collector}) ->
    Collector ! {up, self()},
    {ok, child};
%% The supervisor callback (this module is also the supervisor's callback module).
init({sup, Collector}) ->
    Flags = #{strategy => one_for_one, intensity => ?RESTARTS_PER_ROUND, period => 1},
    Child = #{id => w, start => {gen_server, start_link, [?MODULE, {child, Collector}, []]},
              restart => permanent, shutdown => brutal_kill},
    {ok, {Flags, [Child]}}.

handle_call(ping, _From, S) -> {reply, pong, S};
handle_call(count, _From, S) -> {reply, S, S}.

handle_cast(inc, S) -> {noreply, S + 1}.

handle_info(_Msg, S) -> {noreply, S}.

%% ── shapes; each returns its figure for one run ─────────────────────────────────────────

call(N) ->
    {ok, S} = gen_server:start(?MODULE, counter, []),
    T0 = now_ns(),
    call_loop(S, N),
    T = now_ns() - T0,
    gen_server:stop(S),
    per_second(N, T).

call_loop(_S, 0) -> ok;
call_loop(S, N) -> pong = gen_server:call(S, ping), call_loop(S, N - 1).

cast(N) ->
    {ok, S} = gen_server:start(?MODULE, counter, []),
    T0 = now_ns(),
    cast_loop(S, N),
    N = gen_server:call(S, count, infinity),
    T = now_ns() - T0,
    gen_server:stop(S),
    per_second(N, T).

cast_loop(_S, 0) -> ok;
cast_loop(S, N) -> gen_server:cast(S, inc), cast_loop(S, N - 1).

spawn_exit(N) ->
    T0 = now_ns(),
    spawn_loop(N),
    per_second(N, now_ns() - T0).

spawn_loop(0) -> ok;
spawn_loop(N) ->
    {Pid, Ref} = spawn_monitor(fun() -> ok end),
    receive {'DOWN', Ref, process, Pid, normal} -> ok end,
    spawn_loop(N - 1).

%% Bytes of process memory per idle gen_server: erlang:memory(processes) before and after
%% starting N of them (the list holding their pids is counted too, 16 bytes each).
idle_bytes(N) ->
    erlang:garbage_collect(),
    M0 = erlang:memory(processes),
    Pids = [element(2, gen_server:start(?MODULE, idle, [])) || _ <- lists:seq(1, N)],
    erlang:garbage_collect(),
    M1 = erlang:memory(processes),
    [exit(P, kill) || P <- Pids],
    wait_gone(lists:last(Pids)),
    (M1 - M0) / N.

wait_gone(Pid) ->
    Ref = monitor(process, Pid),
    receive {'DOWN', Ref, process, Pid, _} -> ok end.

%% Rounds of RESTARTS_PER_ROUND restarts, each round under a fresh supervisor so the
%% intensity never trips. Only the restarts are timed: from the first kill to the last
%% child's {up, Pid}; starting and stopping the supervisor is not.
restart(Rounds) ->
    Nanos = lists:sum([restart_round() || _ <- lists:seq(1, Rounds)]),
    per_second(Rounds * ?RESTARTS_PER_ROUND, Nanos).

restart_round() ->
    {ok, Sup} = supervisor:start_link(?MODULE, {sup, self()}),
    unlink(Sup),
    First = receive {up, P} -> P end,
    T0 = now_ns(),
    Last = kill_loop(First, ?RESTARTS_PER_ROUND),
    T = now_ns() - T0,
    exit(Sup, kill),
    wait_gone(Sup),
    wait_gone(Last),
    T.

kill_loop(Child, 0) -> Child;
kill_loop(Child, Left) ->
    exit(Child, kill),
    receive {up, Next} -> kill_loop(Next, Left - 1) end.
