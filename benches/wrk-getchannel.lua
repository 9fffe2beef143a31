-- wrk baseline for ctconform: one fixed GetChannel of an unknown channel,
-- the cheapest full request the emulator judges (404 ChannelNotFoundException).
-- Usage: wrk -t2 -c16 -d10s -s benches/wrk-getchannel.lua http://127.0.0.1:PORT
wrk.method = "POST"
wrk.path = "/"
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.GetChannel"
wrk.body = '{"Channel":"00000000-0000-4000-8000-00000000c7f0"}'
