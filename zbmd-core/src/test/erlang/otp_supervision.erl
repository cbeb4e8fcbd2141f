%% The Erlang/OTP side of zbmd's differential supervision test (OtpDifferentialTest).
%%
%% Reads scenarios (Erlang terms, written by the Java test) and plays each against OTP's own
%% `supervisor`, printing a trace of what happened: every start and end of a child process in
%% the order they happened, the answer of every supervisor call, and the supervision tree
%% after every step. The Java test plays the same scenarios against zbmd's supervisors and
%% compares the traces line for line.
%%
%% Usage: escript otp_supervision.erl SCENARIO_FILE PARALLELISM
%%
%% Scenario terms (ids are atoms; a path is the list of ids from the top supervisor down):
%%   {scenario, Id, Sup | Dyn, Ops}
%%   Sup   = {sup, Strategy, Intensity, PeriodSeconds, AutoShutdown, [Child]}
%%   Dyn   = {dyn, Intensity, PeriodSeconds, Restart, Shutdown}: a simple_one_for_one supervisor
%%           of workers, started empty
%%   Child = {Id, worker, Restart, Shutdown, Significant, {FailingStarts, IgnoredStarts, Stubborn}}
%%         | {Id, supervisor, Restart, Shutdown, Significant, Sup}
%%   Op    = {exit, WorkerPath, Reason} | {kill, Path} | {wait_ms, N} | stop
%%         | {terminate_child, SupPath, Id} | {restart_child, SupPath, Id}
%%         | {delete_child, SupPath, Id} | {start_child, SupPath, Child}
%%         | {start_dyn, Name, Behaviour} | {terminate_dyn, Name}      (a Dyn's children, by name)
%% A worker's Nth start (counting every attempt for its path) fails when N is in
%% FailingStarts and returns `ignore` when N is in IgnoredStarts; a stubborn worker traps
%% exits and ignores its supervisor's shutdown, so that its shutdown timeout expires.
%%
%% The order of events: each start is stamped by the child with
%% erlang:unique_integer([monotonic]); each end is the `exit` trace event of the process,
%% stamped with strict_monotonic_timestamp, which draws from the same counter. Sorting by the
%% counter gives the order in which they happened on this node.
-module(otp_supervision).
-mode(compile).
-export([main/1, init/1, start_worker/3, start_dyn_worker/3, start_sup/3, worker_init/4]).

main([File, Parallelism]) ->
    process_flag(trap_exit, true),
    logger:set_primary_config(level, none), % crash and supervisor reports: the trace says it all
    {ok, Scenarios} = file:consult(File),
    {Results, Reruns} = run_until_timely(Scenarios, list_to_integer(Parallelism), 0, 0),
    lists:foreach(fun({Id, Lines, _Busy}) ->
                          io:put_chars(["scenario ", integer_to_list(Id), "\n",
                                        [[L, "\n"] || L <- Lines], "end_scenario\n"])
                  end, lists:keysort(1, Results)),
    io:format("reruns ~b~n", [Reruns]),
    halt(0).

%% OTP's restart window is in real seconds, while zbmd's scenario takes no time between its
%% waits (periods of 5 or 8 s, waits 1.5 s past them). A scenario that took more than
%% ?BUSY_LIMIT_MS outside its waits (a loaded machine, thousands of scenarios at once) may
%% have seen restarts age out of the window: it is run again, with fewer beside it.
-define(BUSY_LIMIT_MS, 2500).
-define(RERUN_ROUNDS, 3).

run_until_timely(Scenarios, Parallelism, Round, Reruns) ->
    Results = run_all(Scenarios, Parallelism),
    {Timely, Slow} = lists:partition(fun({_, _, Busy}) -> Busy =< ?BUSY_LIMIT_MS end, Results),
    case Slow of
        [] ->
            {Results, Reruns};
        _ when Round >= ?RERUN_ROUNDS ->
            {Results, Reruns};
        _ ->
            SlowIds = [Id || {Id, _, _} <- Slow],
            Again = [S || S <- Scenarios, lists:member(element(2, S), SlowIds)],
            {Rerun, N} = run_until_timely(Again, max(1, Parallelism div 100), Round + 1, Reruns + length(Again)),
            {Timely ++ Rerun, N}
    end.

%% ------------------------------------------------------------------ running many

run_all(Scenarios, Parallelism) ->
    run_all(Scenarios, Parallelism, #{}, []).

%% Running: scenario ids by runner pid.
run_all([], _Parallelism, Running, Done) when map_size(Running) =:= 0 ->
    Done;
run_all([S | Rest], Parallelism, Running, Done) when map_size(Running) < Parallelism ->
    Self = self(),
    Pid = spawn(fun() ->
                        Result = try run_scenario(S)
                                 catch Class:Reason:Stack ->
                                         {element(2, S), [lists:flatten(io_lib:format("driver_error ~p:~0p ~0p",
                                                                                      [Class, Reason, Stack]))], 0}
                                 end,
                        Self ! {done, self(), Result}
                end),
    run_all(Rest, Parallelism, Running#{Pid => element(2, S)}, Done);
run_all(Scenarios, Parallelism, Running, Done) ->
    receive
        {done, Pid, Result} -> run_all(Scenarios, Parallelism, maps:remove(Pid, Running), [Result | Done])
    after 120000 ->
        erlang:error({scenarios_hung, lists:sort(maps:values(Running))})
    end.

%% ------------------------------------------------------------------ one scenario

run_scenario({scenario, Id, Sup, Ops}) ->
    process_flag(trap_exit, true),
    Began = erlang:monotonic_time(millisecond),
    Tracer = spawn_link(fun() -> tracer(#{}, []) end),
    Counters = ets:new(counters, [public, set]),
    Ctx = #{tracer => Tracer, counters => Counters, dynamic => element(1, Sup) =:= dyn},
    erlang:trace(self(), true, [procs, set_on_spawn, {tracer, Tracer}, strict_monotonic_timestamp]),
    Lines = case supervisor:start_link(?MODULE, {sup, Ctx, [], Sup}) of
                {ok, Top} ->
                    Tracer ! {sup_started, [], Top},
                    First = settle(Top, Ctx),
                    First ++ run_ops(Ops, Top, Ctx);
                {error, _} ->
                    flush(Tracer) ++ ["start_failed top"]
            end,
    erlang:trace(self(), false, [all]),
    unlink(Tracer),
    exit(Tracer, kill),
    Waited = lists:sum([Ms || {wait_ms, Ms} <- Ops]),
    {Id, Lines, erlang:monotonic_time(millisecond) - Began - Waited}.

run_ops([], _Top, _Ctx) ->
    [];
run_ops([Op | Ops], Top, Ctx) ->
    Said = ["op " ++ describe(Op)],
    Result = case is_process_alive(Top) of
                 true -> apply_op(Op, Top, Ctx);
                 false -> []
             end,
    Events = settle(Top, Ctx),
    Said ++ Result ++ Events ++ run_ops(Ops, Top, Ctx).

apply_op({exit, Path, Reason}, Top, Ctx) ->
    case pid_of(Top, Path, Ctx) of
        Pid when is_pid(Pid) ->
            Ref = monitor(process, Pid),
            Pid ! {do, exit, Reason},
            receive {'DOWN', Ref, process, Pid, _} -> ok end,
            [];
        _ ->
            ["no_such_child " ++ path(Path)]
    end;
apply_op({kill, Path}, Top, Ctx) ->
    case pid_of(Top, Path, Ctx) of
        Pid when is_pid(Pid) ->
            Ref = monitor(process, Pid),
            exit(Pid, kill),
            receive {'DOWN', Ref, process, Pid, _} -> ok end,
            [];
        _ ->
            ["no_such_child " ++ path(Path)]
    end;
apply_op({wait_ms, Ms}, _Top, _Ctx) ->
    timer:sleep(Ms),
    [];
apply_op(stop, Top, _Ctx) ->
    Ref = monitor(process, Top),
    exit(Top, shutdown),
    receive {'DOWN', Ref, process, Top, _} -> ok end,
    [];
apply_op({terminate_child, SupPath, Id}, Top, Ctx) ->
    call(Top, SupPath, Ctx, fun(Sup) -> supervisor:terminate_child(Sup, Id) end);
apply_op({restart_child, SupPath, Id}, Top, Ctx) ->
    call(Top, SupPath, Ctx, fun(Sup) -> supervisor:restart_child(Sup, Id) end);
apply_op({delete_child, SupPath, Id}, Top, Ctx) ->
    call(Top, SupPath, Ctx, fun(Sup) -> supervisor:delete_child(Sup, Id) end);
apply_op({start_child, SupPath, Child}, Top, Ctx) ->
    call(Top, SupPath, Ctx, fun(Sup) -> supervisor:start_child(Sup, child_spec(Ctx, SupPath, Child)) end);
apply_op({start_dyn, Name, Behaviour}, Top, Ctx) ->
    call(Top, [], Ctx, fun(Sup) -> supervisor:start_child(Sup, [Name, Behaviour]) end);
apply_op({terminate_dyn, Name}, Top, Ctx) ->
    case pid_of(Top, [Name], Ctx) of
        Pid when is_pid(Pid) -> call(Top, [], Ctx, fun(Sup) -> supervisor:terminate_child(Sup, Pid) end);
        _ -> ["no_such_child " ++ atom_to_list(Name)]
    end.

%% What happened during the call, then its answer.
call(Top, SupPath, Ctx, Fun) ->
    case sup_of(Top, SupPath) of
        Sup when is_pid(Sup) ->
            Answer = answer(Fun(Sup)),
            flush(maps:get(tracer, Ctx)) ++ ["call " ++ Answer];
        _ ->
            ["call no_such_supervisor"]
    end.

answer(ok) -> "ok";
answer({ok, undefined}) -> "ok undefined";
answer({ok, Pid}) when is_pid(Pid) -> "ok";
answer({error, {already_started, _}}) -> "error already_started";
answer({error, {{shutdown, _}, _Child}}) -> "error start_failed";
answer({error, {shutdown, {failed_to_start_child, _, _}}}) -> "error start_failed";
answer({error, {failed, _Child}}) -> "error start_failed";
answer({error, failed}) -> "error start_failed";
answer({error, {bad_combination, _}}) -> "error bad_spec";
answer({error, Atom}) when is_atom(Atom) -> "error " ++ atom_to_list(Atom);
answer(Other) -> lists:flatten(io_lib:format("~0p", [Other])).

%% ------------------------------------------------------------------ settling

%% Waits until every supervisor of the tree has handled all it was sent (a call goes to the
%% back of its queue; one blocked in a shutdown answers when it is done) and the tree reads
%% the same before and after such a check, then returns the events since the last settle and
%% the tree. (A supervisor's try_again_restart, cast to itself, may still be queued behind
%% the first look at the tree.)
settle(Top, Ctx) ->
    settle(Top, Ctx, 0).

settle(Top, _Ctx, Round) when Round > 200 ->
    erlang:error({does_not_settle, Top});
settle(Top, Ctx, Round) ->
    Before = top_tree(Top, Ctx),
    Idle = idle(Top) andalso idle(Top),
    After = top_tree(Top, Ctx),
    case Idle andalso Before =:= After of
        true ->
            flush(maps:get(tracer, Ctx)) ++ ["tree " ++ After];
        false ->
            settle(Top, Ctx, Round + 1)
    end.

idle(Pid) ->
    case is_process_alive(Pid) of
        false ->
            true;
        true ->
            Children = try supervisor:which_children(Pid) catch exit:_ -> [] end,
            %% Waiting in gen_server's loop with nothing queued: not in the middle of a
            %% restart (waiting in a selective receive for a child's 'DOWN').
            Waiting = case process_info(Pid, [current_function, status, message_queue_len]) of
                          [{current_function, {gen_server, loop, _}}, {status, waiting}, {message_queue_len, 0}] -> true;
                          undefined -> true;
                          _ -> false
                      end,
            Waiting andalso lists:all(fun({_, C, supervisor, _}) when is_pid(C) -> idle(C);
                                             (_) -> true
                                          end, Children)
    end.

top_tree(Top, #{dynamic := false}) ->
    tree(Top);
top_tree(Top, #{dynamic := true, counters := Counters}) ->
    %% simple_one_for_one's children have no ids and no defined order: named by the worker
    %% each pid is, sorted; a restarting one has no process (`?`).
    Listed = case is_process_alive(Top) of
                 true -> catch supervisor:which_children(Top);
                 false -> dead
             end,
    case Listed of
        Children when is_list(Children) ->
            Parts = [case Pid of
                         restarting -> "?:restarting";
                         undefined -> "?:undefined";
                         _ -> [{_, [Name]}] = ets:lookup(Counters, {name, Pid}),
                              atom_to_list(Name) ++ ":running"
                     end || {_, Pid, _, _} <- Children],
            "[" ++ lists:join(" ", lists:sort(Parts)) ++ "]";
        _ ->
            "dead"
    end.

tree(Sup) ->
    case is_process_alive(Sup) of
        false -> "dead";
        true ->
            case catch supervisor:which_children(Sup) of
                Children when is_list(Children) ->
                    "[" ++ lists:join(" ", [child_state(C) || C <- lists:reverse(Children)]) ++ "]";
                _ ->
                    "dead"
            end
    end.

child_state({Id, restarting, _, _}) -> atom_to_list(Id) ++ ":restarting";
child_state({Id, undefined, _, _}) -> atom_to_list(Id) ++ ":undefined";
child_state({Id, Pid, supervisor, _}) -> atom_to_list(Id) ++ ":" ++ tree(Pid);
child_state({Id, _Pid, worker, _}) -> atom_to_list(Id) ++ ":running".

%% The supervisor at a path: every step must be a child of type supervisor (start_child may
%% have put a worker where the spec had a supervisor).
sup_of(Top, Path) ->
    walk(Top, Path, supervisor).

pid_of(Top, [Name], #{dynamic := true, counters := Counters}) ->
    %% A dynamic child: the last process started for that name, if it is still a child.
    case ets:lookup(Counters, {pid, [Name]}) of
        [{_, Pid}] ->
            case catch supervisor:which_children(Top) of
                Children when is_list(Children) ->
                    case lists:keymember(Pid, 2, Children) of true -> Pid; false -> undefined end;
                _ ->
                    undefined
            end;
        [] ->
            undefined
    end;
pid_of(Top, Path, _Ctx) ->
    walk(Top, Path, any).

%% The live process at a path of child ids, each step a child of type Type (or any).
walk(Top, [], _Type) ->
    case is_process_alive(Top) of true -> Top; false -> undefined end;
walk(Sup, [Id | Rest], Type) ->
    case catch supervisor:which_children(Sup) of
        Children when is_list(Children) ->
            case lists:keyfind(Id, 1, Children) of
                {Id, Pid, ChildType, _} when is_pid(Pid), Type =:= any orelse ChildType =:= Type ->
                    walk(Pid, Rest, Type);
                _ ->
                    undefined
            end;
        _ ->
            undefined
    end.

%% ------------------------------------------------------------------ supervisors and workers

init({sup, Ctx, Path, {sup, Strategy, Intensity, Period, AutoShutdown, Children}}) ->
    Flags = #{strategy => Strategy, intensity => Intensity, period => Period, auto_shutdown => AutoShutdown},
    {ok, {Flags, [child_spec(Ctx, Path, C) || C <- Children]}};
init({sup, Ctx, [], {dyn, Intensity, Period, Restart, Shutdown}}) ->
    Flags = #{strategy => simple_one_for_one, intensity => Intensity, period => Period},
    {ok, {Flags, [#{id => dyn, start => {?MODULE, start_dyn_worker, [Ctx]}, restart => Restart,
                    shutdown => Shutdown, type => worker}]}}.

child_spec(Ctx, Path, {Id, worker, Restart, Shutdown, Significant, Behaviour}) ->
    #{id => Id, start => {?MODULE, start_worker, [Ctx, Path ++ [Id], Behaviour]}, restart => Restart,
      shutdown => Shutdown, significant => Significant, type => worker};
child_spec(Ctx, Path, {Id, supervisor, Restart, Shutdown, Significant, Sup}) ->
    #{id => Id, start => {?MODULE, start_sup, [Ctx, Path ++ [Id], Sup]}, restart => Restart,
      shutdown => Shutdown, significant => Significant, type => supervisor}.

start_sup(Ctx, Path, Sup) ->
    case supervisor:start_link(?MODULE, {sup, Ctx, Path, Sup}) of
        {ok, Pid} ->
            maps:get(tracer, Ctx) ! {sup_started, Path, Pid},
            {ok, Pid};
        Other ->
            Other
    end.

start_dyn_worker(Ctx, Name, Behaviour) ->
    start_worker(Ctx, [Name], Behaviour).

start_worker(Ctx, Path, {Failing, Ignored, Stubborn}) ->
    Counters = maps:get(counters, Ctx),
    Attempt = ets:update_counter(Counters, Path, 1, {Path, 0}),
    Tracer = maps:get(tracer, Ctx),
    case {lists:member(Attempt, Failing), lists:member(Attempt, Ignored)} of
        {true, _} ->
            Tracer ! {event, erlang:unique_integer([monotonic]), "start_failed " ++ path(Path)},
            {error, failed};
        {_, true} ->
            Tracer ! {event, erlang:unique_integer([monotonic]), "ignored " ++ path(Path)},
            ignore;
        _ ->
            {ok, Pid} = proc_lib:start_link(?MODULE, worker_init, [self(), Tracer, Path, Stubborn]),
            ets:insert(Counters, [{{pid, Path}, Pid}, {{name, Pid}, Path}]),
            {ok, Pid}
    end.

worker_init(Parent, Tracer, Path, Stubborn) ->
    process_flag(trap_exit, Stubborn),
    Tracer ! {worker_started, Path, self(), erlang:unique_integer([monotonic])},
    proc_lib:init_ack(Parent, {ok, self()}),
    worker_loop().

worker_loop() ->
    receive
        {do, exit, Reason} -> exit(Reason);
        _ -> worker_loop()
    end.

%% ------------------------------------------------------------------ the trace

%% Pids: what each traced process is; Events: {Counter, Line}.
tracer(Pids, Events) ->
    receive
        {worker_started, Path, Pid, U} ->
            tracer(Pids#{Pid => Path}, [{U, "start " ++ path(Path)} | Events]);
        {sup_started, Path, Pid} ->
            tracer(Pids#{Pid => Path}, Events);
        {event, U, Line} ->
            tracer(Pids, [{U, Line} | Events]);
        {trace_ts, Pid, exit, Reason, {_Mono, U}} ->
            case Pids of
                #{Pid := Path} -> tracer(maps:remove(Pid, Pids), [{U, "end " ++ path(Path) ++ " " ++ reason(Reason)} | Events]);
                _ -> tracer(Pids, Events)
            end;
        {flush, From, Ref} ->
            From ! {flushed, Ref, [Line || {_, Line} <- lists:keysort(1, Events)]},
            tracer(Pids, []);
        _Other ->
            tracer(Pids, Events)
    end.

flush(Tracer) ->
    Ref = erlang:trace_delivered(all),
    receive {trace_delivered, all, Ref} -> ok end,
    Ask = make_ref(),
    Tracer ! {flush, self(), Ask},
    receive {flushed, Ask, Lines} -> Lines end.

%% ------------------------------------------------------------------ text

path([]) -> "top";
path(Path) -> lists:join("/", [atom_to_list(Id) || Id <- Path]).

reason(normal) -> "normal";
reason(shutdown) -> "shutdown";
reason(killed) -> "killed";
reason(kill) -> "killed";
reason(crash) -> "crash";
reason({shutdown, Term}) -> "shutdown:" ++ lists:flatten(io_lib:format("~0p", [Term]));
reason(Other) -> lists:flatten(io_lib:format("~0p", [Other])).

describe({exit, Path, Reason}) -> "exit " ++ path(Path) ++ " " ++ reason(Reason);
describe({kill, Path}) -> "kill " ++ path(Path);
describe({wait_ms, Ms}) -> "wait " ++ integer_to_list(Ms);
describe(stop) -> "stop";
describe({terminate_child, P, Id}) -> "terminate_child " ++ path(P) ++ " " ++ atom_to_list(Id);
describe({restart_child, P, Id}) -> "restart_child " ++ path(P) ++ " " ++ atom_to_list(Id);
describe({delete_child, P, Id}) -> "delete_child " ++ path(P) ++ " " ++ atom_to_list(Id);
describe({start_child, P, Child}) -> "start_child " ++ path(P) ++ " " ++ atom_to_list(element(1, Child));
describe({start_dyn, Name, _}) -> "start_child top " ++ atom_to_list(Name);
describe({terminate_dyn, Name}) -> "terminate_child top " ++ atom_to_list(Name).
