%% skein_bench: the Erlang/OTP side of the rows with an Erlang baseline in `npm run bench`.
%%
%% The idea: run the same shapes as the Skein side (bench/actors.ts, bench/skynet-actors.ts,
%% bench/otp-actors.ts), with the same sizes, on the stock runtime, and print one line per
%% shape that bench/baselines/erlang.ts parses:
%%
%%   RESULT <shape> <value>      shape: oneway | pingpong | skynet | call | cast | spawn |
%%                                      idle_bytes | restart
%%
%%   shape        what one unit is                                     value
%%   oneway       one message from a sender to a counting process        msgs/s
%%   pingpong     one bounce of a ball between two processes             msgs/s
%%   skynet       one process of the skynet tree (spawn 10 children      processes/s
%%                down to the leaves, sum the leaves' numbers)
%%   call         gen_server:call(S, ping) from one process, in a loop   calls/s
%%   cast         N gen_server:cast, then a call that answers after all   casts/s
%%   spawn        spawn_monitor of a process that exits, until its DOWN   per second
%%   idle_bytes   erlang:memory(processes) growth per idle gen_server     bytes
%%   restart      kill the child of a one_for_one supervisor (intensity   restarts/s
%%                100, period 1), until the new child says it is up
%%
%% Throughput values are the median of `Iterations` timed runs after two warm-up runs.
%% This one module is the gen_server, the supervisor callback and the driver, so the bench
%% compiles a single file. Run alone, from the repository root, at the sizes of BENCH_SCALE=1
%% (+P: skynet keeps up to 1.1 M processes alive, over the default limit of 262144):
%%   mkdir -p /tmp/skein-erl && erlc -o /tmp/skein-erl bench/erlang/skein_bench.erl &&
%%   erl +P 4194304 -noshell -pa /tmp/skein-erl -eval 'skein_bench:main([{oneway,2000000},
%%     {pingpong,500000},{skynet,1000000},{call,200000},{cast,1000000},{spawn,100000},
%%     {idle,100000},{restart_rounds,200},{iterations,5}]), halt().'
-module(skein_bench).
-export([main/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(RESTARTS_PER_ROUND, 100).

%% Options (a proplist; missing shapes are skipped): {oneway, N}, {pingpong, N},
%% {skynet, Leaves}, {call, N}, {cast, N}, {spawn, N}, {idle, N}, {restart_rounds, Rounds},
%% {iterations, K}.
main(Opts) ->
    %% A supervisor logs a report for every child exit; silence it, as a loaded system
    %% would filter it, so the restart shape times restarts rather than console output.
    logger:set_primary_config(level, none),
    K = proplists:get_value(iterations, Opts, 5),
    Shapes = [{oneway, fun oneway/1}, {pingpong, fun pingpong/1}, {skynet, fun skynet/1},
              {call, fun call/1}, {cast, fun cast/1}, {spawn, fun spawn_exit/1},
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

%% The message is the bench's small one, {to, tag, n}. The counter answers once it has them all.
oneway(N) ->
    Self = self(),
    Counter = spawn(fun() -> count_loop(N, Self) end),
    T0 = now_ns(),
    send_loop(Counter, N),
    receive {counted, Counter} -> ok end,
    per_second(N, now_ns() - T0).

send_loop(_To, 0) -> ok;
send_loop(To, N) -> To ! {1, x, 42}, send_loop(To, N - 1).

count_loop(0, Parent) -> Parent ! {counted, self()};
count_loop(N, Parent) -> receive {_, _, _} -> count_loop(N - 1, Parent) end.

%% Two processes bounce a ball that carries how many bounces are left; N messages in all.
%% The one that gets 0 tells the driver and sends the other `stop`.
pingpong(N) ->
    Self = self(),
    A = spawn(fun() -> bounce(Self) end),
    B = spawn(fun() -> bounce(Self) end),
    T0 = now_ns(),
    A ! {ball, B, N},
    receive pingpong_done -> ok end,
    per_second(N, now_ns() - T0).

bounce(Driver) ->
    receive
        {ball, From, 0} -> Driver ! pingpong_done, From ! stop;
        {ball, From, Left} -> From ! {ball, self(), Left - 1}, bounce(Driver);
        stop -> ok
    end.

%% Leaves is a power of 10; every process of the tree counts (1 + 10 + ... + Leaves).
skynet(Leaves) ->
    Self = self(),
    T0 = now_ns(),
    spawn(fun() -> skynet(Self, 0, Leaves) end),
    Sum = receive {skynet, S} -> S end,
    T = now_ns() - T0,
    Sum = Leaves * (Leaves - 1) div 2,
    per_second((10 * Leaves - 1) div 9, T).

skynet(Parent, Num, 1) -> Parent ! {skynet, Num};
skynet(Parent, Num, Size) ->
    Self = self(),
    Sub = Size div 10,
    [spawn(fun() -> skynet(Self, Num + I * Sub, Sub) end) || I <- lists:seq(0, 9)],
    Parent ! {skynet, skynet_sum(10, 0)}.

skynet_sum(0, Sum) -> Sum;
skynet_sum(Left, Sum) -> receive {skynet, N} -> skynet_sum(Left - 1, Sum + N) end.

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
