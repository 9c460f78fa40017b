(ns clj-wasi.wasi-sock-test
  "Sockets: preopened TCP listeners (:listen), a C line-echo server driven by 100
  concurrent Clojure clients, a poll()-based server multiplexing clients in one guest
  thread, and each sock_* call's results and errors."
  (:require [clj-wasi.test-util :refer [thrown-data]]
            [clj-wasi.wasm :as wasm]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (cljwasi ModuleInstance)
           (java.io BufferedReader ByteArrayOutputStream InputStreamReader OutputStream)
           (java.net InetSocketAddress Socket)
           (java.util.concurrent LinkedBlockingQueue TimeUnit)))

(defn- java-inst ^ModuleInstance [inst]
  (.java inst))

(defn- ctx [inst]
  (.wasi (java-inst inst)))

(defn- port
  "The port the instance's first :listen socket is bound to."
  [inst]
  (.getPort ^InetSocketAddress (first (.boundAddresses (java-inst inst)))))

(defn- talk
  "Connects to `p`, sends each of `lines`, reading one line back after each; returns
  the replies."
  [p lines]
  (with-open [s (Socket. "127.0.0.1" (int p))]
    (.setSoTimeout s 20000)
    (let [r (BufferedReader. (InputStreamReader. (.getInputStream s) "UTF-8"))
          w (.getOutputStream s)]
      (mapv (fn [^String l]
              (.write w (.getBytes (str l "\n") "UTF-8"))
              (.flush w)
              (.readLine r))
            lines))))

(defmacro ^:private with-server
  "Runs `_start` of `prog` with `args` on a future, listening on an ephemeral port bound
  to `p`; evaluates `body`, then returns {:exit :out :err :body}."
  [[p prog args] & body]
  `(with-open [inst# (wasm/load-wasi ~prog {:args ~args :listen ["127.0.0.1:0"]
                                            :stdout :capture :stderr :capture})]
     (let [~p (port inst#)
           f# (future ((wasm/fn inst# "_start")))
           b# (do ~@body)
           exit# (deref f# 20000 :timeout)]
       {:exit exit# :out (wasm/captured inst# :stdout) :err (wasm/captured inst# :stderr)
        :body b#})))

(deftest listeners-are-preopened-after-stdio-on-ephemeral-ports
  (with-open [inst (wasm/load-wasi "test/wasm/net_echo.wasm"
                                   {:listen ["127.0.0.1:0" "127.0.0.1:0"]})]
    (let [addrs (.boundAddresses (java-inst inst))]
      (is (= addrs (.boundAddresses (ctx inst))) "the instance's are its WASI context's")
      (is (= 2 (count addrs)))
      (is (every? #(pos? (.getPort ^InetSocketAddress %)) addrs) "port 0 became a real port")
      (is (apply not= (map #(.getPort ^InetSocketAddress %) addrs)))
      (is (= [0 1 2 3 4] (.openFds (.fds (ctx inst))))))))

(deftest listening-on-a-taken-port-fails-clearly
  (with-open [taken (java.net.ServerSocket. 0 50 (java.net.InetAddress/getByName "127.0.0.1"))]
    (let [where (str "127.0.0.1:" (.getLocalPort taken))
          e (try (wasm/load-wasi "test/wasm/net_echo.wasm" {:listen [where]})
                 nil
                 (catch clojure.lang.ExceptionInfo e e))]
      (is (= {:type :wasm/io :listen where} (ex-data e)))
      (is (= (str "cannot listen on " where ": Address already in use") (ex-message e)))
      (is (instance? java.net.BindException (ex-cause e)) "the host's exception is the cause"))))

(deftest listening-on-an-unresolvable-host-is-a-bad-option
  (let [d (thrown-data #(wasm/load-wasi "test/wasm/net_echo.wasm" {:listen ["999.1.1.1:80"]}))]
    (is (= :wasm/bad-option (:type d)))
    (is (= :listen (:key d)))
    (is (= "999.1.1.1:80" (:value d)))))

(deftest echo-server-with-100-concurrent-clients
  (let [n 100
        {:keys [exit out err body]}
        (with-server [p "test/wasm/net_echo.wasm" [(str n)]]
          (->> (range n)
               (mapv (fn [i] (future (talk p [(str "hello " i) (str "line two of " i)]))))
               (mapv deref)))]
    (is (= (mapv (fn [i] [(str "hello " i) (str "line two of " i)]) (range n)) body))
    (is (= 0 exit) err)
    (is (= (str "served " n "\n") out))))

(deftest poll-server-multiplexes-clients-in-one-thread
  (testing "replies come in the reverse order of connecting: a one-at-a-time server would hang"
    (let [k 8
          {:keys [exit out body]}
          (with-server [p "test/wasm/net_poll_echo.wasm" [(str k)]]
            (let [socks (vec (for [_ (range k)] (doto (Socket. "127.0.0.1" (int p)) (.setSoTimeout 10000))))
                  readers (mapv #(BufferedReader. (InputStreamReader. (.getInputStream ^Socket %))) socks)
                  replies (vec (for [i (reverse (range k))]
                                 (let [w (.getOutputStream ^Socket (socks i))]
                                   (.write w (.getBytes (str "from " i "\n")))
                                   (.flush w)
                                   (.readLine ^BufferedReader (readers i)))))]
              (run! #(.close ^Socket %) socks)
              replies))]
      (is (= (mapv #(str "from " %) (reverse (range k))) body))
      (is (= 0 exit))
      (is (= (str "served " k " max-concurrent " k "\n") out))))
  (testing "100 concurrent clients"
    (let [n 100
          {:keys [exit out body]}
          (with-server [p "test/wasm/net_poll_echo.wasm" [(str n)]]
            (->> (range n)
                 (mapv (fn [i] (future (talk p [(str "a" i) (str "b" i) (str "c" i)]))))
                 (mapv deref)))]
      (is (= (mapv (fn [i] [(str "a" i) (str "b" i) (str "c" i)]) (range n)) body))
      (is (= 0 exit))
      (is (re-matches #"served 100 max-concurrent \d+\n" out))
      (is (< 1 (parse-long (second (re-find #"max-concurrent (\d+)" out))))))))

(defn- line-sink [^LinkedBlockingQueue q]
  (let [buf (ByteArrayOutputStream.)]
    (proxy [OutputStream] []
      (write
        ([b]
         (if (integer? b)
           (if (= 10 b) (do (.put q (.toString buf "UTF-8")) (.reset buf)) (.write buf (int b)))
           (.write ^OutputStream this ^bytes b 0 (alength ^bytes b))))
        ([^bytes b off len]
         (dotimes [i len] (.write ^OutputStream this (int (aget b (+ off i))))))))))

(deftest each-socket-call
  (let [q (LinkedBlockingQueue.)
        lines (atom [])
        upto (fn [re]
               (loop []
                 (let [l (.poll q 5 TimeUnit/SECONDS)]
                   (when l (swap! lines conj l))
                   (cond (nil? l) (throw (ex-info (str "no line matching " re) {:lines @lines}))
                         (re-find re l) l
                         :else (recur)))))]
    (with-open [inst (wasm/load-wasi "test/wasm/net_features.wasm"
                                     {:listen ["127.0.0.1:0"] :stdout (line-sink q)})]
      (let [f (future ((wasm/fn inst "_start")))]
        (upto #"waiting for a connection\.\.\.")
        (with-open [s (Socket. "127.0.0.1" (int (port inst)))]
          (.setSoTimeout s 5000)
          (let [in (.getInputStream s)
                out (.getOutputStream s)
                rd (BufferedReader. (InputStreamReader. in))
                put (fn [^String x] (.write out (.getBytes x)) (.flush out))]
            (upto #"send hello\.\.\.")
            (put "hello world\n")
            (upto #"send 10 bytes\.\.\.")
            (put "01234")
            (Thread/sleep 50)
            (put "56789")
            (is (= ["via-write" "via-send"] [(.readLine rd) (.readLine rd)]))
            (upto #"send via-read\.\.\.")
            (put "via-read\n")
            (upto #"shutdown-wr=")
            (is (= -1 (.read rd)) "the guest's shutdown(SHUT_WR) ends the client's input")
            (upto #"close now\.\.\.")))
        (is (= 0 (deref f 5000 :timeout)))
        (loop [] (when-let [l (.poll q)] (swap! lines conj l) (recur)))
        (let [got (set @lines)]
          (testing "the listener"
            (is (got "listener fd=3 filetype=6") "SOCKET_STREAM, after stdio")
            (is (got (str "accept-bad-fd=8 accept-stdout=57 recv-stdout=57 recv-listener=53 "
                          "shutdown-listener=53 accept-bad-flags=28"))
                "EBADF, ENOTSOCK, ENOTSOCK, ENOTCONN, ENOTCONN, EINVAL")
            (is (got "accept-nonblocking=6") "EAGAIN with no connection pending"))
          (testing "the accepted socket"
            (is (got "accepted errno=0 filetype=6 nonblock=1") "it got the fdflags given to accept")
            (is (got "recv-nonblocking=-1 errno=6") "EAGAIN with no data")
            (is (got "peek=12 hello world") "MSG_PEEK leaves the data")
            (is (got "recv=12 hello world") "and recv then gets it")
            (is (got "waitall errno=0 n=10 roflags=0 0123456789")
                "RECV_WAITALL waited for both pieces, across two iovecs; no truncation flag")
            (is (got "read=9 via-read") "fd_read works on a socket")
            (is (got "shutdown-bad-how=28 shutdown-0=28") "EINVAL")
            (is (got "shutdown-wr=0 send-after=-1 errno=64") "EPIPE after SHUT_WR")
            (is (got "poll=1 pollin=1 pollhup=1") "the client's close is a hangup")
            (is (got "recv-at-eof=0"))
            (is (got "close=0 fdstat-after=8") "fd_close closed it")))))))

(deftest nonblocking-accept-and-instance-close
  (testing "closing the instance ends a guest blocked in accept"
    (let [inst (wasm/load-wasi "test/wasm/net_echo.wasm" {:listen ["127.0.0.1:0"]
                                                          :stdout :capture :stderr :capture})
          f (future (try ((wasm/fn inst "_start")) (catch Exception e e)))]
      (Thread/sleep 100)
      (is (not (realized? f)) "blocked in accept")
      (wasm/close inst)
      (is (not= :timeout (deref f 5000 :timeout))))))

(defspec echo-returns-any-lines 10
  (prop/for-all [lines (gen/vector (gen/fmap #(str/replace % #"[\r\n]" "") gen/string-ascii) 1 5)]
    (let [{:keys [exit body]} (with-server [p "test/wasm/net_echo.wasm" ["1"]] (talk p lines))]
      (and (= 0 exit) (= lines body)))))

(defn- with-accepted
  "Loads wasi_trace (exports passing their arguments on to sock_accept, sock_recv and
  sock_send) listening on an ephemeral port, connects a client, has the guest accept it
  (fd written at 8) and returns (f inst guest-fd client)."
  [f]
  (with-open [inst (wasm/load-wasi "test/wasm/wasi_trace.wasm" {:listen ["127.0.0.1:0"]})
              client (Socket. "127.0.0.1" (int (port inst)))]
    (.setSoTimeout client 5000)
    (when-not (= 0 ((wasm/fn inst "sock_accept") 3 0 8))
      (throw (ex-info "sock_accept failed" {})))
    (f inst (wasm/read-value inst :i32 8) client)))

(defn- put-iovecs!
  "Writes at `at` an iovec array for buffers of `lens` placed one after another from
  `base`, a byte apart; returns the buffers as [ptr len]."
  [inst at base lens]
  (loop [i 0 p base ls lens bufs []]
    (if-let [[l & more] (seq ls)]
      (do (wasm/write-value! inst :i32 (+ at (* 8 i)) p)
          (wasm/write-value! inst :i32 (+ at (* 8 i) 4) l)
          (recur (inc i) (+ p l 1) more (conj bufs [p l])))
      bufs)))

(def ^:private RECV_WAITALL 2)

(defspec socket-iovecs-scatter-and-gather 25
  ;; sock_recv fills the iovecs in order with what arrives (here all of it, or all that
  ;; fits: WAITALL up to the client's end of stream); sock_send sends every byte of its
  ;; ciovecs in order; empty iovecs anywhere take nothing
  (prop/for-all [lens (gen/vector (gen/choose 0 40) 1 8)
                 data (gen/vector (gen/choose -128 127) 0 200)
                 fill (gen/choose 0 255)]
    (with-accepted
      (fn [inst fd ^Socket client]
        (let [bufs (put-iovecs! inst 64 1024 lens)
              total (reduce + lens)
              out (.getOutputStream client)]
          (.write out (byte-array data))
          (.shutdownOutput client)
          (let [recv-errno ((wasm/fn inst "sock_recv") fd 64 (count lens) RECV_WAITALL 16 20)
                n (wasm/read-value inst :i32 16)
                got (mapcat (fn [[p l]] (wasm/read-bytes inst p l)) bufs)
                sending (map #(unchecked-byte (+ fill %)) (range total))]
            (loop [[[p l] & more] bufs s sending]
              (when p
                (wasm/write-bytes! inst p (byte-array (take l s)))
                (recur more (drop l s))))
            (let [send-errno ((wasm/fn inst "sock_send") fd 64 (count lens) 0 24)
                  sent (wasm/read-value inst :i32 24)
                  received (.readNBytes (.getInputStream client) (int total))]
              (and (= 0 recv-errno)
                   (= (min total (count data)) n)
                   (= (take n data) (take n got))
                   (= 0 (wasm/read-value inst :i32 20)) ; roflags
                   (= 0 send-errno)
                   (= total sent)
                   (= (vec sending) (vec received))))))))))

(deftest socket-iovecs-are-checked-before-input-is-consumed
  (with-accepted
    (fn [inst fd ^Socket client]
      (let [recv #((wasm/fn inst "sock_recv") fd 64 % RECV_WAITALL 16 20)]
        (.write (.getOutputStream client) (.getBytes "hello"))
        (.shutdownOutput client)
        (put-iovecs! inst 64 1024 [2 3])
        (wasm/write-value! inst :i32 72 65530) ; the second buffer runs past the 64 KiB memory
        (wasm/write-value! inst :i32 76 100)
        (is (= 21 (recv 2)) "EFAULT")
        (is (= 28 (recv 1025)) "EINVAL: more than 1024 iovecs")
        (put-iovecs! inst 64 1024 [2 -2147483648])
        (is (= 28 (recv 2)) "EINVAL: an iovec of 2^31 bytes or more")
        (put-iovecs! inst 64 1024 [2 0 3])
        (wasm/write-value! inst :i32 72 70000) ; an empty iovec is never touched
        (is (= 0 (recv 3)))
        (is (= 5 (wasm/read-value inst :i32 16)) "no byte was lost to the failed calls")
        (is (= "hello" (str (wasm/read-string inst 1024 2) (wasm/read-string inst 1028 3))))
        (put-iovecs! inst 64 1024 [3])
        (wasm/write-value! inst :i32 64 65535)
        (is (= 21 ((wasm/fn inst "sock_send") fd 64 1 0 24)) "EFAULT for a send too")))))
